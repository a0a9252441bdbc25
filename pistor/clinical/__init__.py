"""The clinical knowledge core: catalog data and pure rules, with no Django import.

Every page and API that plans, books or treats asks this package, so they all get the
same answer with the same reasons. Functions here take ``now``/``today`` as arguments.
"""
