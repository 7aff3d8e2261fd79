"""UN Comtrade v1: request planning and the client that lands annual totals in the raw zone."""
