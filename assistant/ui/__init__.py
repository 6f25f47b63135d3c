"""The Gradio chat: ``app.py`` builds and launches it, ``html.py`` renders answers and sources."""
