"""The tutorial way of serving the same model, the baseline the benchmark compares
against: PIL resize to 28x28 and `model.predict` on every request.

    uvicorn benchmarks.tutorial_app:app
"""

import io
import os

import keras
import numpy as np
from fastapi import FastAPI, File, UploadFile
from PIL import Image, ImageOps

model = keras.saving.load_model(os.environ.get("DIGITPAD_MODEL", "models/digits/digits.keras"))
app = FastAPI()


@app.post("/predict")
async def predict(file: UploadFile = File(...)):  # noqa: B008 (the tutorial's own style)
    image = Image.open(io.BytesIO(await file.read())).convert("L").resize((28, 28))
    x = np.asarray(ImageOps.invert(image), dtype="float32").reshape(1, 28, 28, 1) / 255.0
    probabilities = model.predict(x)[0]
    return {"digit": int(probabilities.argmax()), "probabilities": probabilities.tolist()}
