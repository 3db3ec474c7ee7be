"""docqa's service: question answering (`qa`), the web app (`web`), the lab (`lab`) and the `docqa` CLI."""
