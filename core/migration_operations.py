"""Migration operations shared by the apps.

``AddIndexConcurrently`` refuses to run inside a transaction before it asks the router whether
the model migrates here at all. A new store's schema is built by replaying every app's
migrations inside the creating transaction, where the public apps' operations are no-ops; so
the check comes first here, and only an index that is really built needs to be outside one.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.operations import AddIndexConcurrently


class AddIndexConcurrentlyWhereMigrated(AddIndexConcurrently):
    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        super().database_backwards(app_label, schema_editor, from_state, to_state)
