"""The HTTP scoring service: `create_app` in `app.py`, settings in `settings.py`."""

from importlib.metadata import PackageNotFoundError, version

try:
    SERVICE_VERSION = version("replyscore")
except PackageNotFoundError:  # running from a source tree that was never installed
    SERVICE_VERSION = "0+unknown"
