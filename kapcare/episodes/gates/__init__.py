"""A dosing session's gates: the rules (pure), the facts they read, the registries other
apps add gates and episode warnings through, and the gates page and API."""
