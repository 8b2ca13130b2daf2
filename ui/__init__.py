"""Streamlit glue shared by the pages (analytics/ never imports it). Import the module you need:

- context: Context (settings, city, this run's store view, user, clock) and load(); one Store a
  process (st.cache_resource)
- gate: context(), every page's first call: the session and the page's access action checked
- session: signing in and out, the session cookie, current_user, the account box
- sign_in: the sign-in form (pages/sign_in.py, and every address while nobody is signed in)
- errors: guarded(), one place turning a page's errors into what the user sees
- text: plain, plain_table, text_cells, html_table: what users typed, shown literally
- widgets: the as-of, period and unit controls, the page header, metrics with their change
- tables: hazard tables with their standing colours, the on-screen row limit, xlsx downloads
- chinese: Streamlit's own English shown in Chinese (CSS and a script)
- charts, accident_charts: plotly figures; maps, road_layers: pydeck maps
- place: the location part of a hazard form (with a map to pick a point)
"""
