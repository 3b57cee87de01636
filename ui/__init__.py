"""Showing it: the Gradio chat widget, staff analytics and the handoff queue."""
