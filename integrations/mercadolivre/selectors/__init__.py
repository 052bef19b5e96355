"""What is read of a store's Mercado Livre data, for the seller's pages and the API alike.

``sales``: seller days, sales figures (in all and per account) and the counts plans limit;
``catalogue``: listings and their questions; ``orders``: orders, filtered and exported;
``sync``: the ML account, sync runs and notifications; ``accounts``: the store's accounts as
the lists name and filter them. Queries whose number does not grow with the store's data
(pinned by tests/dashboard/test_behaviour.py and test_figures.py).
"""
