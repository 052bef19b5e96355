"""Local doubles of the providers Peepers talks to: the ML sandbox and the Stripe emulator.

Each impersonates its provider over real HTTP (``doubles.harness``) and answers in that provider's
documented shapes; ``doubles.policy`` decides where they may run. Product code never imports them.
"""
