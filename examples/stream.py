"""Stream an answer and a tool call from the bundled llama.cpp server (no setup needed)."""

from localllm import Client

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}

with Client("embedded") as client:
    timings = None
    for delta in client.chat_stream("Write one sentence about the sea.", model="gemma-3-270m",
                                    max_tokens=48, temperature=0):
        print(delta.content, end="", flush=True)
        timings = delta.timings or timings
    if timings and timings.predicted_per_second:
        print(f"\n[{timings.predicted_per_second:.0f} tokens/s]")
    result = client.chat("What is the weather in Paris?", model="gemma-3-270m",
                         tools=[WEATHER], tool_choice="required", temperature=0)
    call = result.tool_calls[0]
    print(f"tool call: {call.name}({call.arguments}) id={call.id}")
