"""Serves seedforge's build flow as a deployment against PREFECT_API_URL until terminated.
The build config comes as JSON in SEEDFORGE_TEST_BUILD_CONFIG; the deployment's name in
SEEDFORGE_TEST_DEPLOYMENT (default it-build): modules sharing one server serve their own."""

import json
import os

from prefect import serve

from flows.build_dataset import build_dataset
from pipeline.config import BuildConfig

if __name__ == "__main__":
    config = BuildConfig.model_validate(json.loads(os.environ["SEEDFORGE_TEST_BUILD_CONFIG"]))
    name = os.environ.get("SEEDFORGE_TEST_DEPLOYMENT", "it-build")
    serve(build_dataset.to_deployment(name=name, parameters={"config": config.model_dump(mode="json")}))
