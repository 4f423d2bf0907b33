"""Stripe: the client, Checkout and PaymentIntents, the webhook."""
