"""A/B endpoints: named prediction routes that split traffic between versions by weight."""
