"""The Django project and the servers of ``bench grpc`` (``bench/grpc.py``).

* :mod:`bench.grpc_project.settings`: the example service's settings, with the gRPC
  server's worker threads, the loopback address and the metrics port pinned; served by
  ``manage.py axiomod_grpc`` (the candidate) and by :mod:`bench.grpc_project.server`.
* :mod:`bench.grpc_project.server`: the baseline, a plain ``grpc.server`` with the
  example's ``InvoicesServicer`` and no interceptors (``--chain none``); with
  ``--chain`` naming parts of axiomod's chain it serves only those (probes that
  attribute the candidate's overhead).
"""
