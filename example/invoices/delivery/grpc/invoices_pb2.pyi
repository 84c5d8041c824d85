from collections.abc import Iterable as _Iterable
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar

from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from google.protobuf.internal import containers as _containers

DESCRIPTOR: _descriptor.FileDescriptor

class Invoice(_message.Message):
    __slots__ = ("amount", "created_at", "currency", "customer", "id", "number", "status")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: int
    number: str
    customer: str
    amount: str
    currency: str
    status: str
    created_at: str
    def __init__(
        self,
        id: int | None = ...,
        number: str | None = ...,
        customer: str | None = ...,
        amount: str | None = ...,
        currency: str | None = ...,
        status: str | None = ...,
        created_at: str | None = ...,
    ) -> None: ...

class CreateInvoiceRequest(_message.Message):
    __slots__ = ("amount", "currency", "customer")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    customer: str
    amount: str
    currency: str
    def __init__(
        self, customer: str | None = ..., amount: str | None = ..., currency: str | None = ...
    ) -> None: ...

class GetInvoiceRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: int | None = ...) -> None: ...

class ListInvoicesRequest(_message.Message):
    __slots__ = ("limit", "offset")
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    limit: int
    offset: int
    def __init__(self, limit: int | None = ..., offset: int | None = ...) -> None: ...

class ListInvoicesResponse(_message.Message):
    __slots__ = ("invoices", "limit", "offset", "total")
    INVOICES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    OFFSET_FIELD_NUMBER: _ClassVar[int]
    invoices: _containers.RepeatedCompositeFieldContainer[Invoice]
    total: int
    limit: int
    offset: int
    def __init__(
        self,
        invoices: _Iterable[Invoice | _Mapping] | None = ...,
        total: int | None = ...,
        limit: int | None = ...,
        offset: int | None = ...,
    ) -> None: ...
