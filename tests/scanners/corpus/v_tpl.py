import jinja2
from markupsafe import Markup
from flask import render_template_string
def render(name, comment):
    env = jinja2.Environment(loader=jinja2.FileSystemLoader("t"))
    t = jinja2.Template("Hello {{ name }}")
    return Markup(comment), render_template_string("<p>" + comment + "</p>")
def page(name):
    return f"<h1>Hello {name}</h1>"
