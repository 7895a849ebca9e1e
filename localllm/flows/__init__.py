"""Sans-IO operations: generators that yield transport commands and hold every decision.

``chat`` (the streamed chat), ``calls`` (models, show, embed, available), ``pull``
(Ollama downloads), ``backend`` (detection), ``retry`` (attempt plans), ``clock``
(deadlines), ``commands`` (what a transport carries out).
"""
