"""Prefect flows over the pipeline library. Importing the package (every flow module does) sends
the library's log records made inside a flow or task run to that run's logs (`flows.logs`)."""

from flows.logs import send_library_logs_to_runs

send_library_logs_to_runs()
