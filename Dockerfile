# digitpad: the service and the page, served through LiteRT (no TensorFlow in the image).
#   docker build -t digitpad .
#   docker run -p 8000:8000 -v digitpad-data:/srv/digitpad/data digitpad

# Build stage: the serving dependencies, in a virtual environment copied whole below.
FROM python:3.11-slim AS build
LABEL stage=digitpad-build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The versions the tests ran with (make lock), not whatever the registry has that day.
COPY requirements/serve.lock /tmp/serve.lock
RUN pip install --no-compile -r /tmp/serve.lock \
 && pip uninstall --yes pip setuptools \
 && find /opt/venv -depth \( -name __pycache__ -o -name tests -o -name '*.pyi' \) -exec rm -rf {} +
# The service uses LiteRT's interpreter only: its GPU accelerator, compiled-model
# runtime and ahead-of-time compilers are 40 MB the image does not need.
RUN cd /opt/venv/lib/python3.11/site-packages/ai_edge_litert \
 && rm -rf libLiteRtWebGpuAccelerator.so libLiteRt.so aot tools vendors
# Some wheels' extension modules carry symbols only a debugger reads (uvloop's alone are
# 11 MB). The libraries auditwheel vendored (*.libs) are left alone: patchelf rewrote their
# headers, and stripped they no longer load.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends binutils >/dev/null \
 && find /opt/venv -name '*.so' -type f -not -path '*.libs/*' -exec strip --strip-unneeded {} +
# Of SciPy, reading numbers needs ndimage (connected components) and what it imports
# (special, _lib): its other subpackages are 90 MB the image does not need.
# The libraries vendored beside it that only those subpackages used go with them.
RUN cd /opt/venv/lib/python3.11/site-packages/scipy \
 && rm -rf cluster datasets differentiate fft fftpack integrate interpolate io linalg misc odr optimize \
           signal sparse spatial stats \
 && for library in ../scipy.libs/*; do \
      grep -rlq --exclude="${library##*/}" "${library##*/}" . ../scipy.libs || rm "$library"; \
    done
# SQLAlchemy and Alembic: their test suites, and dialects of databases the service never uses.
# Pillow: AVIF (not a format the service reads), fonts, colour management and Tk, with
# the libraries only they load.
RUN cd /opt/venv/lib/python3.11/site-packages \
 && rm -rf sqlalchemy/testing alembic/testing sqlalchemy/dialects/mssql sqlalchemy/dialects/mysql \
           sqlalchemy/dialects/oracle \
           PIL/_avif.* PIL/_imagingft.* PIL/_imagingcms.* PIL/_imagingtk.* \
           pillow.libs/libavif-* pillow.libs/libfreetype-* pillow.libs/libharfbuzz-* pillow.libs/libbrotli* \
           pillow.libs/libpng16-* pillow.libs/liblcms2-*
# What was stripped and pruned still loads, and reads every format the service takes.
RUN python -c "import numpy, scipy.ndimage, ai_edge_litert.interpreter, uvloop, httptools, \
sqlalchemy.dialects.postgresql, sqlalchemy.dialects.sqlite, alembic.command, psycopg, pydantic, pyspng; \
from PIL import features; assert all(map(features.check, ['jpg', 'webp', 'zlib'])); psycopg.pq.version()"

# Runtime stage: no compilers, no pip cache, no tests, no training code or data.
FROM python:3.11-slim
# A numeric user: Kubernetes' runAsNonRoot can check a uid, not a name.
RUN groupadd --gid 10001 digitpad && useradd --create-home --uid 10001 --gid 10001 digitpad \
 && mkdir -p /srv/digitpad/data && chown 10001:10001 /srv/digitpad/data
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/digitpad
COPY app ./app
COPY static ./static
COPY templates ./templates
# The models' LiteRT files and cards only (.dockerignore): digits and the dense network, with their layers
# models (/explain), clothes, and the strip reader that reads numbers.
COPY models ./models
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DIGITPAD_HOST=0.0.0.0 \
    DIGITPAD_DATA_DIR=/srv/digitpad/data \
    PORT=8000
USER 10001:10001
# The examples people teach (SQLite), kept across containers; or DIGITPAD_DATABASE_URL.
VOLUME /srv/digitpad/data
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/ready' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["python", "-m", "app.cli.serve"]
