from typing import Final, List, final

__all__ = ["__version__", "PROVIDERS", "Client", "new_request_id"]

__version__: Final[str]
PROVIDERS: Final[List[str]]

@final
class Client:
    """A provider client: ``Client(provider, config_json)``. Immutable and shareable across threads."""

    def __new__(cls, provider: str, config_json: str) -> "Client": ...
    @property
    def provider(self) -> str: ...
    @property
    def operations(self) -> List[str]: ...
    def call(self, operation: str, request_json: str) -> str: ...
    def parse_callback(self, data: bytes) -> str: ...

def new_request_id() -> str: ...
