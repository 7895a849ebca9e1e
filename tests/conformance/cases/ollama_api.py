"""Ollama's native API outside the chat stream: the error answers of every handler, and the
shapes of ``/api/tags``, ``/api/show``, ``/api/ps`` and ``/api/embed`` across versions."""

from __future__ import annotations

from localllm.errors import ModelNotFound, ServerError

from ..case import Case, Failure, answer

CASES = [
    Case("ollama-500-unknown-architecture",
         "https://github.com/ollama/ollama/issues/5379 (raw: 500 llama runner process has "
         "terminated ... unknown model architecture: 'gemma2')", "ollama",
         answer({"error": "llama runner process has terminated: error loading model: error "
                 "loading model architecture: unknown model architecture: 'gemma2'"},
                status=500),
         Failure(ServerError, fields={"status": 500}, says=("upgrade",), not_says=("pull",),
                 rule="ollama-runner-terminated")),
    Case("ollama-404-model-not-found-pull",
         "ollama/ollama server/routes.go ChatHandler v0.3.0: "
         "fmt.Sprintf(\"model '%s' not found, try pulling it first\", req.Model)", "ollama",
         answer({"error": "model 'm' not found, try pulling it first"}, status=404),
         Failure(ModelNotFound, fields={"status": 404}, rule="ollama-model-not-found")),
]
