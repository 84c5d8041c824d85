"""The invoices module, laid out in Clean Architecture slices.

Dependencies point inward only::

    entity  <-  repository  <-  service / usecase  <-  delivery / infrastructure

``entity`` and ``repository`` know nothing about Django, so the business rules can be
tested without a database and reused unchanged by every delivery (HTTP and gRPC).
``container`` is the composition root: the one place that picks the concrete repository.
"""
