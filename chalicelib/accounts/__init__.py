"""Who the user is: Cognito sign-in, token verification, the user record."""
