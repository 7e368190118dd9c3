"""Every HTTP client verifies servers with one TLS context per process (building one parses the CA bundle,
~30 ms of CPU, once paid per repository-day by the GitHub client): still verifying, with the roots loaded."""

from __future__ import annotations

import ssl

from dailydiff.common.http import tls_context


def test_one_context_built_once_that_still_verifies_certificates_and_host_names() -> None:
    context = tls_context()
    assert tls_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] > 0  # the trusted roots are loaded
