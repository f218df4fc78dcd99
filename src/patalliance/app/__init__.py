"""The local web app of ``patalliance app``: Start, Map, Check, Plan, Run and Results.

Needs the optional ``app`` extra (``pip install 'patalliance[app]'``). See docs/app.md.
"""
