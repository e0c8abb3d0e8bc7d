"""`tilth ui`: a local web interface over a workspace (FastAPI app in app.py, one module per page).

It reads the workspace through `tilth.storage`, runs recipes through `tilth.pipeline` and plans through
`tilth.agent`; nothing below imports it.
"""
