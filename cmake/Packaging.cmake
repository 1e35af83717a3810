# Install rules and CPack DEB (owned by the packaging work).
