"""Language models: the chat-model factory (LangChain's ``init_chat_model``)."""
