import pickle, yaml, marshal
def load(data):
    a = pickle.loads(data)
    b = yaml.load(data)
    c = yaml.load(data, Loader=yaml.Loader)
    return marshal.loads(data), a, b, c
