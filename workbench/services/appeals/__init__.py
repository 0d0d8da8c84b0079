"""Appeals (DSA Art. 20 internal complaints): receiving them, deciding them."""
