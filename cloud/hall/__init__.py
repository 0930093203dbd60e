"""The hall (issue 13): queue and calling, content pushed to screens, 好差评 ratings.

Decisions live in ``fleet/`` (ticket transitions, content versions, follow-up deadlines); this
package loads, calls them, persists and publishes. :mod:`cloud.hall.parts` wires it.
"""
