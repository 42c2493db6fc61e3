"""Which model ids each emulated service knows. A representative subset of what each
service documents (late 2026), not a copy of the live lists: the pages ask the real
service (GET /v1/models on Gradient) when they run live."""

GRADIENT_MODELS = {
    # id: (created, owned_by)
    "llama3.3-70b-instruct": (1738780431, "meta"),
    "llama3-8b-instruct": (1738780431, "meta"),
    "deepseek-r1-distill-llama-70b": (1738780431, "deepseek"),
    "mistral-nemo-instruct-2407": (1738780431, "mistral"),
    "alibaba-qwen3-32b": (1752255238, "digitalocean"),
    "openai-gpt-oss-120b": (1754438400, "openai"),
    "openai-gpt-4o-mini": (1737056613, "openai"),
    "anthropic-claude-3.5-haiku": (1737056613, "anthropic"),
}

# On-demand OCI Generative AI chat models, and the retired ones a reader may still copy.
OCI_MODELS = {
    "cohere.command-a-03-2025": "COHERE",
    "cohere.command-r-08-2024": "COHERE",
    "cohere.command-r-plus-08-2024": "COHERE",
    "meta.llama-3.3-70b-instruct": "GENERIC",
    "meta.llama-4-maverick-17b-128e-instruct-fp8": "GENERIC",
    "meta.llama-3.2-90b-vision-instruct": "GENERIC",
}
OCI_RETIRED = {
    "cohere.command-r-16k": "2025-01-16",
    "cohere.command-r-plus": "2025-01-16",
    "meta.llama-3.1-70b-instruct": "2025-01-16",
}
