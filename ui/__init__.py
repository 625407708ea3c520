"""Front ends over the assistant: the click CLI and the Gradio apps."""
