from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    email = models.EmailField(unique=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            # Addresses differing only in case reach one mailbox. MariaDB/MySQL before 8.0.13 cannot index an
            # expression (Django skips it there, warning models.W044); their case-insensitive collation
            # (utf8mb4_unicode_ci) makes the unique index on `email` itself ignore case.
            models.UniqueConstraint(Lower('email'), name='core_user_email_lower_unique',
                                    violation_error_message='A user with this e-mail address already exists.'),
        ]
