"""The use cases, between the transports (``api``, ``cli``) and storage, barrier and crypto.

A kernel shared by every use case: the ports and the dependency bundle (:mod:`.ports`, with
:mod:`.ekm_port`), the caller (:mod:`.context`), authorization (:mod:`.authz`), vault and key
lookups (:mod:`.lookup`), entity tags (:mod:`.etags`), retry tokens (:mod:`.idempotency`),
caches (:mod:`.caches`), running on the event loop (:mod:`.nonblocking`) and replies that
await an EKM (:mod:`.pending`). Around it, one package per bounded context: :mod:`.secrets`
(secrets and their bundles), :mod:`.kms` (vaults, keys, crypto), :mod:`.external` (external
key managers and their private endpoints), :mod:`.audit` and :mod:`.identity` (users, groups,
policies, authentication). A context imports only those after it in that order and the
kernel, which imports none of them (the import-linter contracts in ``pyproject.toml``).
"""
