"""The digit model as a Gradio app, as its documentation writes an image classifier: an
`Interface` from an image input to a `Label` of each class's confidence, `launch()`ed.

    GRADIO_SERVER_PORT=7860 python gradio_app.py

Programs use it through Gradio's HTTP API: upload the PNG (/gradio_api/upload), call
/gradio_api/call/predict with the uploaded file's path, then GET the result as
server-sent events. The image input hands the function the uploaded file's path
(`type="filepath"`) as sent (`image_mode=None`: not converted to RGB and saved again),
so the function reads the same bytes every peer decodes. Everything else is Gradio's
default: one process, the queue running one call of the function at a time.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
from digit_reader import DigitReader

reader = DigitReader()


def predict(image: str) -> dict[str, float]:
    answer = reader.read(Path(image).read_bytes())
    return {str(digit): p for digit, p in enumerate(answer["probabilities"])}


demo = gr.Interface(fn=predict, inputs=gr.Image(type="filepath", image_mode=None), outputs=gr.Label())

if __name__ == "__main__":
    demo.launch()
