"""What every domain builds on: settings, secrets, AWS clients, DynamoDB helpers,
cursors, logs and metrics, errors, the prod guard."""
