"""The axiomod example service: a small invoicing API built the way axiomod expects."""
