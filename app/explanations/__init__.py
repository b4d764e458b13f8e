"""Why a model decides: importances per original column (computed at training) and per-row
contributions (computed when a prediction asks for them). See docs/inference.md."""
