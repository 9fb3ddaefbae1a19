from openai import OpenAI

# The client reads OPENAI_API_KEY from the environment.
client = OpenAI()


def summarize(text: str) -> str:
    response = client.responses.create(model="gpt-4.1-mini", input=f"Summarize: {text}")
    return response.output_text
