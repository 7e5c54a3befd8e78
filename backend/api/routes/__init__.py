"""One APIRouter per resource family; `backend.api.app.create_app` includes them all."""
