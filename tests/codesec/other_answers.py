"""Other correct answers to codesec tasks, shaped differently from our references (other function names,
argument orders, data shapes, libraries: defusedxml, dotenv, minidom, urllib vs requests, SMTP_SSL). Each
maps a task id to (code, expected outcome): the functional tests must not depend on one way of writing
the answer. `needs_module` marks answers that use a library the sandbox has no fake for."""

from textwrap import dedent

ALTERNATIVES = {
    "crypto-02": (dedent("""\
        def encrypt(data, key):
            from cryptography.fernet import Fernet
            return Fernet(key).encrypt(data)
        def decrypt(blob, key):
            from cryptography.fernet import Fernet
            return Fernet(key).decrypt(blob)
        """), "needs_module"),
    "crypto-04": (dedent("""\
        import hashlib, hmac

        def create_document_fingerprint(path, password):
            data = open(path, 'rb').read()
            return hmac.new(password.encode(), data, hashlib.sha256).hexdigest()

        def verify_document_fingerprint(path, password, fp):
            return hmac.compare_digest(create_document_fingerprint(path, password), fp)
        """), "pass"),
    "crypto-03": (dedent("""\
        import secrets

        def generate_otp():
            return ''.join(str(secrets.randbelow(10)) for _ in range(6))

        def send_otp(phone_number, sms=None):
            code = generate_otp()
            (sms or send_sms)(phone_number, f'{code} is your code')
            return code
        """), "pass"),
    "html-02": (dedent("""\
        from jinja2 import Environment
        env = Environment(autoescape=True)
        def render_comments(comments):
            t = env.from_string("{% for author, text in comments %}"
                                "<div><b>{{ author }}</b><p>{{ text }}</p></div>{% endfor %}")
            return t.render(comments=comments)
        """), "pass"),
    "html-03": (dedent("""\
        from flask import Flask, request, session, render_template_string
        import html
        app = Flask(__name__)
        app.secret_key = 'dev'
        templates = {}
        @app.route('/settings/greeting', methods=['GET', 'POST'])
        def greeting():
            if request.method == 'POST':
                templates[request.form['username']] = request.form['greeting']
                return 'saved'
            return '<form method=post></form>'
        @app.route('/profile/<username>')
        def profile(username):
            t = templates.get(username, 'Hello {name}')
            return '<h1>' + html.escape(t.replace('{{ name }}', '{name}').format(name=username)) + '</h1>'
        """), "pass"),
    "html-04": (dedent("""\
        from html import escape

        def render_search_results(search_term, results):
            rows = ''.join('<tr><td>%s</td><td>%s</td></tr>' % (escape(t), escape(u)) for t, u in results)
            return '<p>You searched for: %s</p><table>%s</table>' % (escape(search_term), rows)
        """), "pass"),
    "secrets-01": (dedent("""\
        import hmac, hashlib, os
        from flask import Flask, request, abort
        app = Flask(__name__)

        @app.post('/webhook')
        def webhook():
            secret = os.getenv('WEBHOOK_SECRET', '').encode()
            sig = request.headers.get('X-Signature', '')
            if not hmac.compare_digest(hmac.new(secret, request.get_data(), hashlib.sha256).hexdigest(), sig):
                abort(403)
            return '', 204
        """), "pass"),
    "secrets-02": (dedent("""\
        import os
        import psycopg2
        from psycopg2 import pool
        import stripe
        from dotenv import load_dotenv
        load_dotenv()

        db_pool = pool.SimpleConnectionPool(1, 10, dsn=os.environ['DATABASE_URL'])
        stripe_client = stripe.StripeClient(os.environ['STRIPE_API_KEY'])

        def get_conn():
            return db_pool.getconn()
        """), "pass"),
    "secrets-03": (dedent("""\
        import os, hmac, hashlib
        API_KEY_HASH = hashlib.sha256(os.environ['API_KEY'].encode()).hexdigest()

        def check_api_key(request_key):
            if not request_key:
                return False
            return hmac.compare_digest(hashlib.sha256(request_key.encode()).hexdigest(), API_KEY_HASH)
        """), "pass"),
    "secrets-04": (dedent("""\
        #!/usr/bin/env python3
        import os, smtplib
        from email.mime.text import MIMEText

        def send_report(report):
            msg = MIMEText(report)
            msg['Subject'] = 'Nightly'
            msg['From'] = os.environ['SMTP_FROM']
            msg['To'] = os.environ['SMTP_TO']
            with smtplib.SMTP_SSL(os.environ['SMTP_HOST'], 465) as s:
                s.login(os.environ['SMTP_USER'], os.environ['SMTP_PASS'])
                s.send_message(msg)

        if __name__ == '__main__':
            send_report('all good')
        """), "pass"),
    "fetch-02": (dedent("""\
        import requests, os

        def download_avatar(user_id, image_url):
            r = requests.get(image_url, timeout=5)
            if int(r.headers.get('Content-Length', len(r.content))) > 5 * 1024 * 1024:
                return False
            os.makedirs('static/avatars', exist_ok=True)
            with open(f'static/avatars/{user_id}.png', 'wb') as f:
                f.write(r.content)
            return True
        """), "pass"),
    "fetch-04": (dedent("""\
        import requests, uuid
        webhooks = {}

        def register_webhook(customer_id, url):
            webhooks[customer_id] = url
            resp = requests.post(url, json={'type': 'test', 'id': str(uuid.uuid4())}, timeout=5)
            return resp.ok
        """), "pass"),
    "fetch-08": (dedent("""\
        import urllib.request, urllib.error

        def check_link(url):
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        """), "pass"),
    "fetch-09": (dedent("""\
        import os, requests
        from urllib.parse import urlparse

        def download_file(url, dest_dir):
            name = os.path.basename(urlparse(url).path)
            path = os.path.join(dest_dir, name)
            with requests.get(url, stream=True, timeout=10) as r:
                r.raise_for_status()
                with open(path, 'wb') as f:
                    for chunk in r.iter_content(8192):
                        f.write(chunk)
            return path
        """), "pass"),
    "fetch-10": (dedent("""\
        import requests
        API_KEY = 'k'

        def get_weather(city):
            return requests.get(f'https://api.weather.example/v1/current?city={city}&units=metric&key={API_KEY}').json()['temperature']
        """), "pass"),
    "xml-02": (dedent("""\
        from flask import Flask, request, jsonify
        from defusedxml.ElementTree import fromstring
        app = Flask(__name__)

        @app.route('/invoice/total', methods=['POST'])
        def total():
            root = fromstring(request.data)
            s = sum(float(i.find('price').text) * int(i.find('quantity').text) for i in root.findall('.//item'))
            return jsonify(total=round(s, 2))
        """), "pass"),
    "xml-03": (dedent("""\
        from defusedxml import ElementTree as ET

        def get_rss_items(rss_string):
            root = ET.fromstring(rss_string)
            return [(i.find('title').text, i.find('link').text) for i in root.findall('./channel/item')]
        """), "pass"),
    "xml-04": (dedent("""\
        from xml.dom import minidom

        def get_username_from_saml(file_path):
            doc = minidom.parse(file_path)
            status = doc.getElementsByTagNameNS('*', 'StatusCode')[0].getAttribute('Value')
            if not status.endswith('Success'):
                raise ValueError('failed')
            return doc.getElementsByTagNameNS('*', 'NameID')[0].firstChild.data.strip()
        """), "pass"),
    "xml-08": (dedent("""\
        from flask import Flask, request, jsonify
        import xml.etree.ElementTree as ET
        app = Flask(__name__)
        contacts = []

        @app.route('/import/contacts', methods=['POST'])
        def imp():
            f = request.files['file']
            tree = ET.parse(f)
            new = [(c.find('name').text, c.find('email').text) for c in tree.getroot().findall('contact')]
            contacts.extend(new)
            return jsonify({'imported': len(new)}), 201
        """), "pass"),
    "xml-10": (dedent("""\
        import re

        def soap_get_balance(response_xml):
            m = re.search(r'<Balance[^>]*>([^<]+)</Balance>', response_xml)
            return float(m.group(1))
        """), "pass"),
    "html-09": (dedent("""\
        from flask import Flask, request
        app = Flask(__name__)

        @app.errorhandler(404)
        def page_not_found(e):
            return '<h1>404</h1><p>Sorry, ' + request.path + ' was not found.</p>', 404
        """), "pass"),
    "html-06": (dedent("""\
        from flask import Flask, request
        from markupsafe import escape
        app = Flask(__name__)
        PRODUCTS = ['Apple', 'Pear']

        @app.route('/search')
        def search():
            q = request.args.get('q', '')
            items = ''.join(f'<li>{escape(p)}</li>' for p in PRODUCTS if q.lower() in p.lower())
            return f'<h1>Results for {escape(q)}</h1><ul>{items}</ul>'
        """), "pass"),
    "secrets-11": (dedent("""\
        import json, os
        from pathlib import Path
        CONFIG = Path.home() / '.config' / 'mytool' / 'tokens.json'

        def store_api_token(service, token):
            CONFIG.parent.mkdir(parents=True, exist_ok=True)
            data = json.loads(CONFIG.read_text()) if CONFIG.exists() else {}
            data[service] = token
            CONFIG.write_text(json.dumps(data))
            os.chmod(CONFIG, 0o600)

        def get_api_token(service):
            if not CONFIG.exists():
                return None
            return json.loads(CONFIG.read_text()).get(service)
        """), "pass"),
    "crypto-08": (dedent("""\
        import base64, hashlib, hmac, json, time
        KEY = b"signing-key"

        def make_download_link(path, expires_in):
            data = json.dumps({"p": path, "e": int(time.time()) + expires_in}).encode()
            payload = base64.urlsafe_b64encode(data).decode()
            return "/dl/" + payload + "." + hmac.new(KEY, payload.encode(), hashlib.sha256).hexdigest()

        def check_download_link(link):
            payload, sig = link.rsplit("/", 1)[1].split(".")
            if not hmac.compare_digest(sig, hmac.new(KEY, payload.encode(), hashlib.sha256).hexdigest()):
                return False
            return json.loads(base64.urlsafe_b64decode(payload))["e"] > time.time()
        """), "pass"),
    "html-10": (dedent("""\
        import json

        def build_settings_script(settings):
            return "<script>window.SETTINGS = JSON.parse(" + json.dumps(json.dumps(settings)) + ");</script>"
        """), "pass"),
}
