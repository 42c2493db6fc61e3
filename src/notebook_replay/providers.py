"""What each page's service needs: credentials, replay placeholders, and SDK interception."""

from __future__ import annotations

import configparser
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigFileMissingError, MissingCredentialError

# What replay and emulated recording use in place of real credentials. The emulators
# accept exactly these, as a real service accepts only what it issued.
GRADIENT_PLACEHOLDER_KEY = "replay-placeholder-key"
OCI_PLACEHOLDER_COMPARTMENT = "ocid1.compartment.oc1..replay-placeholder"


@dataclass(frozen=True)
class Credential:
    variable: str
    how_to_get: str


@dataclass(frozen=True)
class Provider:
    service: str
    credentials: tuple[Credential, ...]
    placeholders: dict[str, str]
    # Called once when replaying or recording against an emulator, after the placeholders.
    prepare_offline: Callable[[], None] = lambda: None
    # Called once when running live, after the credentials are in the environment.
    check_live: Callable[[], None] = lambda: None
    # vcrpy custom_patches for SDKs whose connections vcrpy does not patch by itself.
    interception: Callable[[], list] = lambda: []
    # Further custom_patches for replays only (never while a live service is called).
    replay_only: Callable[[], list] = lambda: []
    # Values that must never reach a cassette when recording live.
    secrets: Callable[[], list[str]] = field(default=lambda: [])
    # The packages whose versions a page's provenance banner names.
    sdks: tuple[str, ...] = ()

    def use_placeholders(self) -> None:
        os.environ.update(self.placeholders)
        self.prepare_offline()

    def use_live_credentials(self) -> None:
        for credential in self.credentials:
            if not os.environ.get(credential.variable):
                os.environ[credential.variable] = _ask(credential)
        self.check_live()


def person_at_keyboard() -> bool:
    """True only when a prompt can be answered: a Jupyter front end that accepts input,
    or a terminal. Never in CI, nbval, nbclient or a pipe."""
    if os.environ.get("CI"):
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None
    shell = get_ipython() if get_ipython else None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    return bool(sys.stdin) and sys.stdin.isatty()


def _ask(credential: Credential) -> str:
    if not person_at_keyboard():
        raise MissingCredentialError(credential.variable, credential.how_to_get)
    import getpass

    value = getpass.getpass(f"{credential.variable}: ").strip()
    if not value:
        raise MissingCredentialError(credential.variable, credential.how_to_get)
    return value


# --- Every service ------------------------------------------------------------------


class _NoBackoffClock:
    """The `time` module as a retry loop sees it during a replay: real clock readings, but
    the back-off wait between attempts returns at once. There is no server to give time
    to; the retry itself still runs through the SDK's (or LangChain's) own code."""

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        pass


def any_replay_only() -> list:
    """What every page's replay changes, whatever its service: LangChain's `with_retry`
    (tenacity, whose default sleep is `tenacity.nap.sleep`) skips its back-off wait."""
    import tenacity.nap

    return [(tenacity.nap, "time", _NoBackoffClock())]


# --- DigitalOcean Gradient -----------------------------------------------------------


def _openai_replay_only() -> list:
    """The page also calls the service through the openai SDK (ChatOpenAI with DigitalOcean's
    base URL), whose httpx transport vcrpy patches: its unmatched requests must raise the
    helper's error at once, not after the SDK's retries as an APIConnectionError."""
    import vcr.stubs.httpx_stubs

    from .errors import unmatched_for_openai

    return [
        (vcr.stubs.httpx_stubs, "CannotOverwriteExistingCassetteException", unmatched_for_openai())
    ]


GRADIENT = Provider(
    service="DigitalOcean Gradient",
    credentials=(
        Credential(
            "DIGITALOCEAN_INFERENCE_KEY",
            "Create a model access key in the DigitalOcean control panel: INFERENCE → Manage → "
            "Create model access key.",
        ),
    ),
    # langchain-gradient reads the key when it is imported, so this must come first.
    placeholders={"DIGITALOCEAN_INFERENCE_KEY": GRADIENT_PLACEHOLDER_KEY},
    replay_only=_openai_replay_only,
    # The same key travels as a Bearer token through pydo and the openai SDK alike: the
    # scrubber drops every Authorization header, and a live recording also replaces the
    # key's value wherever else it appears.
    secrets=lambda: [os.environ.get("DIGITALOCEAN_INFERENCE_KEY", "")],
    sdks=("langchain-gradient", "pydo", "azure-core", "langchain-openai", "openai"),
)


# --- OCI Generative AI ---------------------------------------------------------------

_offline_oci_config: tempfile.TemporaryDirectory | None = None


_THROWAWAY_PREFIX = "notebook-replay-oci-"


def _inherited_throwaway_config() -> Path | None:
    """A throwaway config made by the process that started this one (`make
    record-emulated` makes one before its kernels start, so they sign with the key its
    emulator knows)."""
    named = Path(os.environ.get("OCI_CONFIG_FILE", "") or "/nonexistent")
    if named.parent.name.startswith(_THROWAWAY_PREFIX) and named.is_file():
        return named
    return None


def _write_throwaway_oci_config() -> None:
    """A fresh RSA key and config in a temporary folder, so the OCI SDK can sign requests
    that are only ever matched against a cassette. Nothing key-like is ever committed."""
    global _offline_oci_config
    if _offline_oci_config is None and _inherited_throwaway_config():
        return
    if _offline_oci_config is None:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        digest = hashes.Hash(hashes.MD5())
        digest.update(public)
        fingerprint = ":".join(f"{b:02x}" for b in digest.finalize())
        folder = tempfile.TemporaryDirectory(prefix=_THROWAWAY_PREFIX)
        key_file = Path(folder.name) / "throwaway_key.pem"
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
        token_file = Path(folder.name) / "throwaway_session_token"
        token_file.write_text(_throwaway_session_token())
        config = configparser.ConfigParser()
        config["DEFAULT"] = {
            "user": "ocid1.user.oc1..replay-placeholder",
            "tenancy": "ocid1.tenancy.oc1..replay-placeholder",
            "fingerprint": fingerprint,
            "region": "us-chicago-1",
            "key_file": str(key_file),
        }
        # What `oci session authenticate --profile-name session` would add.
        config["session"] = {"security_token_file": str(token_file)}
        with open(Path(folder.name) / "config", "w") as handle:
            config.write(handle)
        _offline_oci_config = folder
    # Honoured by the OCI SDK when ~/.oci/config does not exist.
    os.environ["OCI_CONFIG_FILE"] = str(Path(_offline_oci_config.name) / "config")


def throwaway_oci_fingerprint() -> str:
    """The fingerprint of the throwaway API key: the one key the OCI emulator treats as
    uploaded for the placeholder user."""
    _write_throwaway_oci_config()
    return _fingerprint_in(os.environ["OCI_CONFIG_FILE"])


@functools.cache
def _fingerprint_in(config_file: str) -> str:
    """Read once per file: a throwaway config is written once, in a folder of its own."""
    config = configparser.ConfigParser()
    config.read(config_file)
    return config["DEFAULT"]["fingerprint"]


def _throwaway_session_token() -> str:
    """A session token in the shape of a real one (a JWT), valid for nothing."""
    import base64
    import json

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": "replay-placeholder", "exp": 4102444800, "iss": "notebook_replay"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.replay-placeholder"


def _oci_config_path() -> Path:
    default = Path("~/.oci/config").expanduser()
    if default.exists() or not os.environ.get("OCI_CONFIG_FILE"):
        return default
    return Path(os.environ["OCI_CONFIG_FILE"]).expanduser()


def _check_oci_config() -> None:
    path = _oci_config_path()
    if path.exists():
        return
    default = Path("~/.oci/config").expanduser()
    named = "OCI_CONFIG_FILE" if path != default else None
    raise ConfigFileMissingError(
        str(path),
        named,
        "The OCI SDK signs every request with an API key configured in an OCI config file: "
        "create one with `oci setup config` (or in the console: Profile → API keys → Add "
        "API key, then paste the configuration preview into ~/.oci/config)"
        + (
            ", or point OCI_CONFIG_FILE at the file you have."
            if not named
            else ", or correct OCI_CONFIG_FILE (unset, the SDK reads ~/.oci/config)."
        ),
    )


def _oci_secrets() -> list[str]:
    values = [os.environ.get("OCI_COMPARTMENT_ID", "")]
    path = _oci_config_path()
    if path.exists():
        config = configparser.ConfigParser()
        config.read(path)
        for section in [config.defaults(), *(config[s] for s in config.sections())]:
            values += [section.get(k, "") for k in ("user", "tenancy", "fingerprint")]
    return values


def _oci_interception() -> list:
    """The OCI SDK sends HTTPS through its own pool class (OCIConnectionPool), whose
    ConnectionCls vcrpy does not replace: without this, a replay would open a real
    connection."""
    from oci.base_client import OCIConnectionPool
    from vcr.stubs.urllib3_stubs import VCRRequestsHTTPSConnection

    return [(OCIConnectionPool, "ConnectionCls", VCRRequestsHTTPSConnection)]


def _oci_replay_only() -> list:
    import oci.retry.retry

    return [(oci.retry.retry, "time", _NoBackoffClock())]


OCI = Provider(
    service="OCI Generative AI",
    credentials=(
        Credential(
            "OCI_COMPARTMENT_ID",
            "Copy the OCID of the compartment whose Generative AI quota you use "
            "(console: Identity → Compartments).",
        ),
    ),
    placeholders={"OCI_COMPARTMENT_ID": OCI_PLACEHOLDER_COMPARTMENT},
    prepare_offline=_write_throwaway_oci_config,
    check_live=_check_oci_config,
    interception=_oci_interception,
    replay_only=_oci_replay_only,
    secrets=_oci_secrets,
    sdks=("langchain-community", "langchain-oci", "oci"),
)


SERVICES: dict[str, Provider] = {"gradient": GRADIENT, "oci": OCI}


def provider_for(page: str) -> Provider:
    """The service of a page, as its notebook says (see notebook_replay.pages); for a page
    that calls several, one provider that does what each of theirs does."""
    from . import pages

    return combined(
        *(SERVICES[name] for name in pages.service_of(page, sorted(SERVICES)).split("+"))
    )


def combined(*providers: Provider) -> Provider:
    """Several services' needs as one: every credential, placeholder, patch and secret."""
    if len(providers) == 1:
        return providers[0]

    def each(step: str) -> Callable[[], None]:
        return lambda: [getattr(p, step)() for p in providers] and None

    def joined(step: str) -> Callable[[], list]:
        return lambda: [item for p in providers for item in getattr(p, step)()]

    return Provider(
        service=" and ".join(p.service for p in providers),
        credentials=tuple(c for p in providers for c in p.credentials),
        placeholders={k: v for p in providers for k, v in p.placeholders.items()},
        prepare_offline=each("prepare_offline"),
        check_live=each("check_live"),
        interception=joined("interception"),
        replay_only=joined("replay_only"),
        secrets=joined("secrets"),
        sdks=tuple(dict.fromkeys(s for p in providers for s in p.sdks)),
    )
