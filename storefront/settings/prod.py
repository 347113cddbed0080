"""Production: DEBUG off, and no start without the real secrets."""
from .common import *  # noqa: F403
from .common import database_config, env_list, env_required

DEBUG = False
SECRET_KEY = env_required('SECRET_KEY')
env_required('ALLOWED_HOSTS')
ALLOWED_HOSTS = env_list('ALLOWED_HOSTS')
DATABASES = {'default': database_config(env_required('DATABASE_URL'))}
