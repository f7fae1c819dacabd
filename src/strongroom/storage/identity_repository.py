"""Identity rows: tenancies, users, groups, memberships, API keys and (through
``secret_keys``) customer secret keys."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from strongroom.domain.identity import ApiKey, Group, Tenancy, User
from strongroom.storage import rows, schema
from strongroom.storage.changes import Changes
from strongroom.storage.customer_secret_key_repository import CustomerSecretKeyRepository


class IdentityRepository:
    """Reads and writes identity records within one transaction; writes are noted in
    ``touched`` (see :class:`~.unit_of_work.Transaction`)."""

    def __init__(self, conn: Connection, touched: Changes | None = None) -> None:
        self._conn = conn
        self._touched = Changes() if touched is None else touched
        self.secret_keys = CustomerSecretKeyRepository(conn, self._touched)

    def add_tenancy(self, tenancy: Tenancy) -> None:
        self._touched.row("tenancies", tenancy.id)
        self._conn.execute(
            insert(schema.tenancies).values(
                id=tenancy.id,
                name=tenancy.name,
                home_region=tenancy.home_region,
                time_created=tenancy.time_created,
            )
        )

    def get_tenancy(self, tenancy_id: str) -> Tenancy | None:
        t = schema.tenancies
        row = self._conn.execute(select(t).where(t.c.id == tenancy_id)).first()
        return rows.tenancy_from_row(row) if row else None

    def tenancy_ids(self) -> list[str]:
        return [row.id for row in self._conn.execute(select(schema.tenancies.c.id))]

    def add_user(self, user: User) -> None:
        self._touched.row("users", user.id)
        self._conn.execute(
            insert(schema.users).values(
                id=user.id,
                tenancy_id=user.tenancy_id,
                name=user.name,
                description=user.description,
                lifecycle_state=user.lifecycle_state,
                time_created=user.time_created,
            )
        )

    def get_user(self, user_id: str) -> User | None:
        t = schema.users
        row = self._conn.execute(select(t).where(t.c.id == user_id)).first()
        return rows.user_from_row(row) if row else None

    def add_group(self, group: Group) -> None:
        self._touched.row("groups", group.id)
        self._conn.execute(
            insert(schema.groups).values(
                id=group.id,
                tenancy_id=group.tenancy_id,
                name=group.name,
                description=group.description,
                time_created=group.time_created,
            )
        )

    def add_membership(self, membership_id: str, group: Group, user: User) -> None:
        self._touched.row("group_memberships", membership_id)
        self._conn.execute(
            insert(schema.group_memberships).values(
                id=membership_id,
                tenancy_id=group.tenancy_id,
                group_id=group.id,
                user_id=user.id,
                time_created=user.time_created,
            )
        )

    def groups_of(self, user_id: str) -> list[Group]:
        g, m = schema.groups, schema.group_memberships
        query = select(g).join(m, m.c.group_id == g.c.id).where(m.c.user_id == user_id)
        return [rows.group_from_row(r) for r in self._conn.execute(query)]

    def add_api_key(self, key_id: str, api_key: ApiKey) -> None:
        self._touched.row("api_keys", key_id)
        self._conn.execute(
            insert(schema.api_keys).values(
                key_id=key_id,
                tenancy_id=api_key.tenancy_id,
                user_id=api_key.user_id,
                fingerprint=api_key.fingerprint,
                public_key_pem=api_key.public_key_pem,
                lifecycle_state=api_key.lifecycle_state,
                time_created=api_key.time_created,
            )
        )

    def get_api_key(self, key_id: str) -> ApiKey | None:
        t = schema.api_keys
        row = self._conn.execute(select(t).where(t.c.key_id == key_id)).first()
        return rows.api_key_from_row(row) if row else None
