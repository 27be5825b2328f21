import html
import jinja2
def render(name):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("t"), autoescape=jinja2.select_autoescape())
    return env.get_template("x.html").render(name=name)
def page(name):
    return f"<h1>Hello {html.escape(name)}</h1>"
