"""What the camera makes of the scene: exposure, white balance, defocus, noise, sharpening, JPEG.

Modelled, in this order (every frame; ranges at 1080p, lengths scale with the frame):

- exposure: a gain of 0.92-1.12, so a bright page may clip at 255 (auto-exposure on a
  dark desk does that), and white balance: per-channel gains within ±5 % (warm or cool);
- optics: a Gaussian blur of 0.5-0.9 px, and in 40 % of frames a defocus that grows across
  the frame (a tilted focal plane) up to 1.2-2.5 px; BLUR_NOISE adds a 5-15 px motion blur;
- sensor noise: signal-dependent shot noise plus read noise (σ ≈ 1.5-4.5 at paper white,
  7-14 under BLUR_NOISE), mostly in luminance with some chroma noise at half resolution;
- the image pipeline's sharpening (unsharp mask, half of the frames: halos at strong edges);
- MJPEG/JPEG compression at quality 70-95 (8-26 under JPEG), 4:2:0 chroma.

Not modelled: rolling shutter, lens distortion, chromatic aberration, glare/specular
reflections on glossy paper, the Bayer mosaic and its demosaicing artefacts.
"""

from __future__ import annotations

from typing import cast

import cv2
import numpy as np

from simulators.doc_scene.pixels import FImage, Image, f32, lowfreq, soft_blur


def expose(rng: np.random.Generator, scene: FImage) -> FImage:
    """Exposure gain and white balance."""
    gain = rng.uniform(0.92, 1.12)
    wb = 1 + rng.uniform(-0.05, 0.05) * np.array([1.0, 0.2, -1.0]) + rng.normal(0, 0.01, 3)
    return f32(scene * (gain * wb).astype(np.float32))


def optics(rng: np.random.Generator, scene: FImage, k: float, motion: float) -> FImage:
    """Lens blur, a defocus varying across the frame, optional motion blur."""
    sharp = f32(cv2.GaussianBlur(scene, (0, 0), rng.uniform(0.5, 0.9) * k))
    if rng.random() < 0.4:
        soft = soft_blur(sharp, rng.uniform(1.2, 2.5) * k)
        size = (scene.shape[1], scene.shape[0])
        w = np.clip(lowfreq(rng, (max(2, size[0] // 16), max(2, size[1] // 16)), 2) + 0.2, 0, 1)
        w = f32(cv2.resize(w, size, interpolation=cv2.INTER_LINEAR))[..., None]
        sharp = f32(sharp * (1 - w) + soft * w)
    if motion > 0:
        sharp = motion_blur(rng, sharp, motion)
    return sharp


def motion_blur(rng: np.random.Generator, img: FImage, length: float) -> FImage:
    n = max(3, int(length) | 1)
    kernel = np.zeros((n, n), np.float32)
    kernel[n // 2, :] = 1
    rot = cv2.getRotationMatrix2D((n / 2 - 0.5, n / 2 - 0.5), rng.uniform(0, 180), 1)
    kernel = f32(cv2.warpAffine(kernel, rot, (n, n)))
    return f32(cv2.filter2D(img, -1, kernel / kernel.sum()))


def sensor(rng: np.random.Generator, scene: FImage, read: float) -> FImage:
    """Shot noise (variance ∝ signal) and read noise; chroma noise at half resolution."""
    height, width = scene.shape[:2]
    shot = np.float32(rng.uniform(0.01, 0.06))
    luma = f32(cv2.cvtColor(scene, cv2.COLOR_BGR2GRAY))
    sigma = f32(cv2.sqrt(np.maximum(luma, 0) * shot + np.float32(read * read)))
    noise = rng.standard_normal((height, width), dtype=np.float32) * sigma
    half = (width // 2 + 1, height // 2 + 1)
    chroma = rng.standard_normal((half[1], half[0], 3), dtype=np.float32)
    chroma *= cv2.resize(sigma, half, interpolation=cv2.INTER_AREA)[..., None] * np.float32(0.35)
    chroma = f32(cv2.resize(chroma, (width, height), interpolation=cv2.INTER_NEAREST))
    chroma += noise[..., None]
    return f32(cv2.add(scene, chroma))


def pipeline(rng: np.random.Generator, scene: FImage, k: float, quality: int) -> Image:
    """Sharpening, quantisation and JPEG: the bytes the camera hands over."""
    if rng.random() < 0.5:
        amount = np.float32(rng.uniform(0.3, 0.8))
        blurred = soft_blur(scene, 1.5 * k)
        scene = f32(scene + amount * (scene - blurred))
    frame = np.clip(scene, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if ok:
        frame = cast(Image, cv2.imdecode(buf, cv2.IMREAD_COLOR))
    return np.ascontiguousarray(frame)
