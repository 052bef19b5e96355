"""The store API's endpoints, one module per resource."""
