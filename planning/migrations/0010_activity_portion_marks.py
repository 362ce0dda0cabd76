"""Activities carry their own portion marking, as objectives and sections do (classification,
NOFORN, REL TO); the activities stored before are unclassified, as their plans showed them."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('organizations', '0008_successions_and_fads'),
        ('planning', '0009_plan_activities'),
    ]

    operations = [
        migrations.AddField(
            model_name='planactivity',
            name='classification',
            field=models.CharField(choices=[('U', 'UNCLASSIFIED'), ('CUI', 'CUI'), ('C', 'CONFIDENTIAL'), ('S', 'SECRET'), ('TS', 'TOP SECRET')], default='U', max_length=5),
        ),
        migrations.AddField(
            model_name='planactivity',
            name='noforn',
            field=models.BooleanField(default=False, help_text='Not releasable to foreign nationals.', verbose_name='NOFORN'),
        ),
        migrations.AddField(
            model_name='planactivity',
            name='rel_to',
            field=models.ManyToManyField(blank=True, help_text='Countries (besides the USA) it is releasable to.', related_name='+', to='organizations.country', verbose_name='REL TO'),
        ),
    ]
