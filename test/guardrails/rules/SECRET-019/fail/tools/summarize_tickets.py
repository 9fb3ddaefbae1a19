from openai import OpenAI

client = OpenAI(api_key="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")


def summarize(text: str) -> str:
    response = client.responses.create(model="gpt-4.1-mini", input=f"Summarize: {text}")
    return response.output_text
