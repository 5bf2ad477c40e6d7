"""The document's `servers` and `info.version`, which openapi-python-client does not carry over.

Written by tools/generate.py; do not edit.
"""

SERVER_URL_TEMPLATE = "https://api.batch.com/{version}"
SERVER_VARIABLES = {"version": "2.11"}
DOCUMENT_VERSION = "2.9"
