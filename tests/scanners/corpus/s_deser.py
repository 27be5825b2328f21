import yaml, json
def load(data):
    return yaml.safe_load(data), yaml.load(data, Loader=yaml.SafeLoader), json.loads(data)
